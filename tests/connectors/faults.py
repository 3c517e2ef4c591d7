"""Spool wrappers that break on the Nth batch, for crawls that must lose nothing (setting
`LANGNGHE_SPOOL_CLASS`; the batch number comes from env `LANGNGHE_TEST_BREAK_AT`)."""

from __future__ import annotations

import os
import signal

from langnghe.spool import Spool


class _Breaking(Spool):
    puts = 0  # batches asked for in this process (every crawler's pipeline counts)

    def put(self, docs):
        type(self).puts += 1
        if type(self).puts == int(os.environ["LANGNGHE_TEST_BREAK_AT"]):
            self.breaks()
        return super().put(docs)

    def breaks(self) -> None:
        raise NotImplementedError


class FailingSpool(_Breaking):
    """The Nth write fails as a full disk would."""

    def breaks(self) -> None:
        raise OSError(28, "No space left on device (injected)")


class KillingSpool(_Breaking):
    """The process is killed (SIGKILL: no cleanup of any kind) as the Nth batch is written."""

    def breaks(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)
