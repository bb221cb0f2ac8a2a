"""Orders: patients, treatment orders with their disc levels, and the AEMPS authorisation."""
