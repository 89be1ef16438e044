"""python -m worker [--burst] [--queues high,default,low]"""

import argparse

from portal import create_app, logs
from worker import runtime


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="relay once, run what is queued, then exit")
    parser.add_argument("--queues", default=",".join(runtime.QUEUE_NAMES),
                        help="comma-separated queues, most urgent first")
    args = parser.parse_args(argv)
    app = create_app()
    logs.configure(app.config["LOG_FORMAT"], log_file=app.config["LOG_FILE"])
    runtime.run(app, burst=args.burst, queue_names=[q for q in args.queues.split(",") if q])


if __name__ == "__main__":
    main()
