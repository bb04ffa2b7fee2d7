"""``cmu monitor`` on a terminal: a Textual application (:mod:`offchain.monitor_tui.app`)
over an incrementally updated view of the chain (:mod:`offchain.monitor_tui.feed`), with
column choices by width in :mod:`offchain.monitor_tui.view`. ``--once`` and piped output
keep the printed rich view of :mod:`offchain.monitor`."""
