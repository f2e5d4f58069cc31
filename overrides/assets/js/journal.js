/* placeholder: replaced by its feature */
