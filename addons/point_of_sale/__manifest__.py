{
    "name": "Point of Sale",
    "version": "1.1.0",
    "summary": "POS configs, sessions, products, partners, orders, and the POS page for tills",
    "depends": [],
    "demo": ["demo/data.yaml"],
}
