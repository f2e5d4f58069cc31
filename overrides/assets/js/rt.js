/* Rebuilding Trust: page scripts (journal, printing) are added by their own modules. */
