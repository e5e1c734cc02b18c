"""An application exception module for the interop tests, shaped like nova.exception:
a message format, kwargs kept on the instance (oslo sends them as the failure's kwargs)."""


class InteropError(Exception):
    msg_fmt = 'Interop failure: %(what)s'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        self.kwargs.setdefault('code', 500)
        if not message:
            message = self.msg_fmt % kwargs
        super().__init__(message)
