{"name": "Nap thing", "summary": "Slow routes that write nothing, for the server tests"}
