"""The walk survives a relaunch (a new window on the same database and settings), and Create
note leaves the reader where it was and offers the new file to an editor. Real widgets,
offscreen, on a copy of the bundled notes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QUrl

from notesgraph.ui.main_window import MainWindow
from ui.test_main_window import note_item, open_window
from ui.test_main_window import window  # noqa: F401 - the fixture


def relaunch(qtbot, tmp_path: Path) -> MainWindow:
    """A new window as `notesgraph` opens it again: same database, folder and settings file."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(tmp_path / "app.db", tmp_path / "notes", settings, embed=False)
    qtbot.addWidget(win)
    win.show()
    win.reindex()
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=30000)
    return win


def test_back_and_forward_work_after_a_relaunch(qtbot, tmp_path: Path, window: MainWindow) -> None:
    first = window.current
    second = note_item(window, "Does supervised fine-tuning actually improve reasoning quality?")
    window.walk(second)
    third = next(item for item in window.view.nodes if item.startswith("paper:"))
    window.walk(third)
    window.back()
    assert window.current == second
    window.close()

    again = relaunch(qtbot, tmp_path)
    assert again.history == [first, second, third] and again.current == second
    assert again.view.centre == second and again.reader.current_item == second
    assert again.back_action.isEnabled() and again.forward_action.isEnabled()
    again.forward_action.trigger()
    assert again.current == third and again.view.centre == third
    again.back_action.trigger()
    again.back_action.trigger()
    assert again.current == first and not again.back_action.isEnabled()


def test_a_relaunch_drops_items_deleted_meanwhile(qtbot, tmp_path: Path, window: MainWindow) -> None:
    first = window.current
    title = "Does supervised fine-tuning actually improve reasoning quality?"
    second = note_item(window, title)
    window.walk(second)
    path = Path(window.store.note(int(second.split(":")[1]))["path"])
    window.close()
    (path if path.is_absolute() else tmp_path / "notes" / path).unlink()

    again = relaunch(qtbot, tmp_path)
    assert again.history == [first] and again.current == first


def test_create_note_keeps_the_reader_in_place_and_offers_an_editor(qtbot, window: MainWindow) -> None:
    note = window.reader.current_item
    html = window.reader.toHtml()
    assert "Create note" in window.reader.toPlainText()
    href = html.split('href="create:', 1)[1].split('"', 1)[0]
    title = QUrl.fromPercentEncoding(href.encode())
    bar = window.reader.verticalScrollBar()
    assert bar.maximum() > 200
    bar.setValue(bar.maximum() - 20)  # down where the concepts are listed
    scrolled = bar.value()
    window.reader.createRequested.emit(title)
    qtbot.waitUntil(lambda: not window.tasks, timeout=30000)
    assert window.reader.current_item == note
    assert f'href="create:{href}"' not in window.reader.toHtml()  # refreshed: the concept has its note
    assert bar.value() == min(scrolled, bar.maximum()) > 200  # where it was (the page is shorter), not the top

    created = window.folder / f"{title.rstrip('?')}.md"
    action = window.editor_action
    assert created.exists() and action is not None and window.editor_button.isVisible()
    assert action.data() == str(created) and action.text() == f"Open {created.name} in editor"
    assert window.editor_button.defaultAction() is action


def test_hover_texts_wrap_instead_of_running_off_the_screen(qtbot, window: MainWindow) -> None:
    """A plain-text tooltip is one line as wide as the screen lets it (1,350 px for an inquiry
    on a desktop); wrapped, it is a paragraph. Checked on the longest note, claim and inquiry."""
    from PySide6.QtWidgets import QApplication, QToolTip

    from notesgraph.ui.neighbourhood_view import TOOLTIP_WIDTH

    nodes = window.view.nodes
    kinds = ("note", "claim", "inquiry")
    longest = [max((n for item, n in nodes.items() if item.startswith(f"{kind}:")),
                   key=lambda n: len(n.node.tooltip)) for kind in kinds if any(i.startswith(kind) for i in nodes)]
    assert len(longest) >= 2
    for node in longest:
        QToolTip.showText(window.view.mapToGlobal(window.view.rect().center()), node.toolTip(), window.view)
        qtbot.waitUntil(QToolTip.isVisible, timeout=5000)
        tip = next(w for w in QApplication.topLevelWidgets() if w.inherits("QLabel") and w.isVisible())
        assert tip.width() <= TOOLTIP_WIDTH + 40, node.node.tooltip
        if len(node.node.tooltip) > 100:
            assert tip.height() > 2 * tip.fontMetrics().height()  # wrapped over lines
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5000)
