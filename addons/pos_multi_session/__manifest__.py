{
    "name": "POS Multi-session",
    "version": "1.0.0",
    "summary": "Several tills share their open orders live: multi-sessions of POS configs, each "
               "synced through this instance or a separate sync server",
    "depends": ["pos_multi_session_sync"],
}
