Attribute VB_Name = "PlanTracker"
' plantrack: the "Plan tracker" ribbon tab of plantrack.xlam (desktop Excel, Windows and macOS).
'
' Each button runs one plantrack job on the workbook you are looking at. Python runs through
' RunPython of the xlwings add-in (install it once with "xlwings addin install"): it starts the
' Python set in the xlwings ribbon and hands it the ACTIVE workbook as xlwings.Book.caller().
' The jobs themselves are in the plantrack Python package (addin/buttons/).
'
' This file is a source of the add-in: after editing it, rebuild plantrack.xlam with
'     python workbook/build_addin.py
Option Explicit

Private Const ADDIN_TITLE As String = "Plan tracker"
Private Const XLWINGS_ADDIN As String = "xlwings.xlam"

Public Sub PlantrackValidate(control As Object)
    RunJob "validate"
End Sub

Public Sub PlantrackRecalculateRag(control As Object)
    RunJob "recalculate_rag"
End Sub

Public Sub PlantrackIssueCopies(control As Object)
    RunJob "issue_copies"
End Sub

Public Sub PlantrackMergeReturns(control As Object)
    RunJob "merge_returns"
End Sub

Public Sub PlantrackBoardPack(control As Object)
    RunJob "board_pack"
End Sub

Public Sub PlantrackAbout(control As Object)
    Dim setup As String
    If XlwingsLoaded() Then
        setup = "Ready: the xlwings add-in is loaded."
    Else
        setup = NeedsXlwings()
    End If
    MsgBox "The Plan tracker buttons run plantrack on the workbook you are looking at:" & vbNewLine & _
           "Validate, Recalculate RAG, Issue copies, Merge returns and Board pack." & vbNewLine & _
           "Each one can also be run on files with the 'plantrack' command." & vbNewLine & vbNewLine & _
           setup, vbInformation, ADDIN_TITLE
End Sub

Private Sub RunJob(job As String)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open your plan tracker first, then click the button again.", vbInformation, ADDIN_TITLE
        Exit Sub
    End If
    If Not XlwingsLoaded() Then
        MsgBox NeedsXlwings(), vbExclamation, ADDIN_TITLE
        Exit Sub
    End If
    On Error GoTo Failed
    Application.Run "'" & XLWINGS_ADDIN & "'!RunPython", _
        "import addin.buttons as b, xlwings as xw; b." & job & "(xw.Book.caller())"
    Exit Sub
Failed:
    MsgBox "Python could not be started: " & Err.Description & vbNewLine & vbNewLine & NeedsXlwings(), _
           vbExclamation, ADDIN_TITLE
End Sub

Private Function XlwingsLoaded() As Boolean
    Dim book As Workbook
    On Error Resume Next
    Set book = Workbooks(XLWINGS_ADDIN)
    On Error GoTo 0
    XlwingsLoaded = Not book Is Nothing
End Function

Private Function NeedsXlwings() As String
    NeedsXlwings = "The Plan tracker buttons need the xlwings add-in and the plantrack Python package:" & _
                   vbNewLine & "1. In a terminal: pip install ""plantrack[excel]"" then xlwings addin install" & _
                   vbNewLine & "2. Restart Excel; on the xlwings tab, set Interpreter to that Python." & _
                   vbNewLine & "See 'In Excel' in the plantrack README."
End Function
