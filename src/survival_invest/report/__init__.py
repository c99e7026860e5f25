"""Reports of a monthly run: plots, the HTML page, the Excel workbook, the run history."""
