{
    "name": "Auto bridge",
    "summary": "Installed by itself once both things are installed",
    "depends": ["base_thing", "other_thing"],
    "auto_install": True,
}
