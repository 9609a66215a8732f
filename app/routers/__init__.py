"""One router per concern: classify (digits), adder, models, health, metrics, pages."""
