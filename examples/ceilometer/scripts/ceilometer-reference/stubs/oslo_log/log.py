"""Minimal oslo_log.log on top of the standard logging module."""
import logging


def getLogger(name=None, project='unknown', version='unknown'):
    return logging.getLogger(name)
