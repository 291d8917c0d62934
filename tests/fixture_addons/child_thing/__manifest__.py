{
    "name": "Child thing",
    "version": "1.0.0",
    "summary": "Depends on base_thing; its table points at base_thing's",
    "depends": ["base_thing"],
}
