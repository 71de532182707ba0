"""Mail and jobs written in the caller's transaction and sent by the worker once it has committed."""
