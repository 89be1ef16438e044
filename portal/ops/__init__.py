"""Operations: /metrics, one log line and metrics per request and job, alert episodes for the leads."""
