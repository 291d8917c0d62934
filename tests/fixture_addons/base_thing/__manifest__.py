{
    "name": "Base thing",
    "version": "1.0.0",
    "summary": "A test addon with a table, a route, config fields and a parameter",
    "demo": ["demo/items.yaml"],
}
