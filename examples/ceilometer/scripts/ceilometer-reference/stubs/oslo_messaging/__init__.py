"""Only NotificationFilter, which ceilometer.pipeline.base refers to."""


class NotificationFilter:
    def __init__(self, context=None, publisher_id=None, event_type=None,
                 metadata=None, payload=None):
        self.event_type = event_type
