{"name": "Broken migration", "summary": "Its migration fails half-way", "depends": ["base_thing"]}
