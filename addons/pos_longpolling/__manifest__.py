{
    "name": "POS Longpolling",
    "version": "1.0.0",
    "summary": "The message bus tills long-poll (POST /longpolling/poll), the PING/PONG heartbeat "
               "and its status icon on the POS page; CORS for a separate sync server",
    "depends": ["point_of_sale"],
}
