"""plantrack's five buttons for xlwings Lite (Python inside Excel, nothing to install).

Paste this file into the xlwings Lite editor's main.py and the lines of
requirements.txt beside it into its requirements.txt tab (see README.md here).
Each script is a thin wrapper over the button body in ``addin.buttons``, the
same function the desktop ribbon calls: the Excel tracker is read, the job runs
(the same code as the ``plantrack`` command) and its result is written back.
The result of each run is on the Plan sheet, in the "Last run" row.

Sheet buttons: draw a shape on the Plan sheet over the cell named in
``button=`` and give the shape a hyperlink to that cell (Insert > Link > Place
in this document); clicking it runs the script. The scripts also run from the
xlwings Lite task pane.

Files (partner copies, returns, plantrack.toml) live in xlwings Lite's file
area: Files > Import/Export. Copies are written to its "partner copies" folder;
put the returned copies into a "returns" folder there before Merge returns.
"""

import xlwings as xw
from xlwings import script

from addin import buttons


@script(name="Validate", button="[btnValidate]Plan!D2")
def validate(book: xw.Book):
    """Check every row against the rules: a Validation sheet linking to each problem; the cells marked."""
    buttons.validate(book)


@script(name="Recalculate RAG", button="[btnRag]Plan!D3")
def recalculate_rag(book: xw.Book):
    """Work out Blue, Green, Amber or Red, with a reason, for every action, milestone and indicator."""
    buttons.recalculate_rag(book)


@script(name="Issue copies", button="[btnIssue]Plan!D4")
def issue_copies(book: xw.Book):
    """Write one plain .xlsx per partner agency with only its rows (Files > Import/Export)."""
    buttons.issue_copies(book)


@script(name="Merge returns", button="[btnMerge]Plan!D5")
def merge_returns(book: xw.Book):
    """Take what partners changed in the copies they sent back (imported into the 'returns' folder)."""
    buttons.merge_returns(book)


@script(name="Board pack", button="[btnPack]Plan!D6")
def board_pack(book: xw.Book):
    """Build the board pack sheets: summary, exceptions, indicators, milestones due, changes, returns."""
    buttons.board_pack(book)
