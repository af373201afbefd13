"""The jobs behind the buttons: validate, rag, issue, merge, pack.

Each job is one pure function taking the plan model and returning a result
(and a ``changes.Changes`` for what it writes). Jobs import neither openpyxl
nor xlwings: the adapters in ``files`` and ``buttons`` do the writing.
"""
