/** (being written) */
