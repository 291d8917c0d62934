{
    "name": "POS Customer Display",
    "version": "1.0.0",
    "summary": "A second screen facing the customer (/pos/ui/<id>/display) shows the order and "
               "its total as the cashier builds it, through the bus",
    "depends": ["point_of_sale", "pos_longpolling"],
}
