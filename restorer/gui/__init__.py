"""Restorer's desktop app (PySide6).

This package is the only place Qt is imported. It never does model maths itself: every pixel it shows
comes from ``restorer.core`` (io, models, engine, hints, metrics), called on worker threads
(see :mod:`restorer.gui.workers`) so the window never blocks.

Modules:

* ``app``             – ``run_cli(args)`` / ``main()``: QApplication, icon, theme, the main window.
* ``main_window``     – menus, shortcuts, docks, the open / preview / full-resolution flow.
* ``export``          – Save and Save all through the core writer.
* ``status``          – the status bar's progress / Cancel / timing / device area.
* ``hold_key``        – hold T to see the original.
* ``viewer``          – zoomable before/after photo view (split slider, side by side, toggle).
* ``hints_tool``      – colour hints: data model, undo commands, draggable circles.
* ``compare``         – 2-4 models side by side with synchronised zoom/pan and metrics.
* ``histogram_widget``– L/a/b histograms drawn with QPainter, plus the dock that fills them.
* ``thumbnails``      – the photo strip (thumbnails made on a worker).
* ``workers``         – QRunnable workers (signals, cancel flag, errored), pools, the job registry.
* ``jobs``            – the plain functions the workers run (they call the core, no widgets).
* ``qimage``          – numpy <-> QImage conversion for display.
* ``settings``, ``theme``, ``banner`` – QSettings keys, light/dark palettes, the batch error banner.
"""
