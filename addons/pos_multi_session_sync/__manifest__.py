{
    "name": "POS Multi-session Sync Server",
    "version": "1.0.0",
    "summary": "The sync server of shared POS orders: one copy of every draft order per "
               "multi-session, merged line by line, relayed to every till over the bus; "
               "unpaid orders of a closed run kept for a manager to restore",
    "depends": ["pos_longpolling"],
}
