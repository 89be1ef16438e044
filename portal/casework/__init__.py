"""What every journey's case shares, below the journeys: the lifecycle (service), the reasons kept with a case,
its place in the queue (priority) and the customer's photos."""
