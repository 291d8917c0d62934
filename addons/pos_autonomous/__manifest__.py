{
    "name": "Autonomous Tills",
    "version": "1.0.0",
    "summary": "Tills on their own database: the central instance's declared tables come down "
               "in pages, full or incremental, resumable, from a one-file package; a "
               "synchroniser process per till",
    "depends": ["point_of_sale"],
}
