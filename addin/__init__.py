"""plantrack: the improvement-plan tracker add-in for Excel.

The package is laid out by what it does:

- ``model``      the plan (pydantic): actions, milestones, indicators, leads, agencies
- ``rules``      the rule set loaded from ``rules/*.toml``
- ``templates``  the look of every sheet the product writes, from ``templates/*.toml``
- ``guard``      the one guarded way in for every workbook file
- ``tables``     sheets read by header into tables; ``reader`` and ``writer`` turn
                 tables into the plan model and back
- ``jobs``       the four jobs behind the buttons (validate, rag, returns, pack) and import
- ``cli``        the ``plantrack`` command; ``buttons`` the Excel buttons (xlwings)
"""

__version__ = "0.1.0"
