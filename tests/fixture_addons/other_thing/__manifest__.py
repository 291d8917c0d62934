{"name": "Other thing", "summary": "No tables; adds an asset and a command"}
