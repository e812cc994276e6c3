"""Perceived value from customer surveys: what the company is worth to the customer.

The purchase models measure what customers are worth to the company; these measure the
other side of the articles' theory: delivered value (total value minus total cost),
Kano's three levels of needs, and the drivers of customer equity.
"""
