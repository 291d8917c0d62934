{
    "name": "POS Receipt Printer and Cash Drawer",
    "version": "1.0.0",
    "summary": "Network ESC/POS receipt printers (host:port) and the cash drawer they drive: "
               "receipts and session reports printed by the server from a queue that retries "
               "and never prints one twice; the drawer's pulse on a cash payment or a manager's "
               "Open drawer",
    "depends": ["point_of_sale"],
}
