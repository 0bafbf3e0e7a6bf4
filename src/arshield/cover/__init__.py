"""Cover: policies, credit limits and their decisions, buyer capacity and credit checks."""
