{
    "name": "POS Check Session State",
    "version": "1.0.0",
    "summary": "Tills stop selling once their session is no longer opened; orders refused for a "
               "closed session are kept and a manager attaches them to the open one",
    "depends": ["point_of_sale"],
}
