"""The local web workbench: ``realpolitik serve`` (see :mod:`realpolitik.web.app`)."""
