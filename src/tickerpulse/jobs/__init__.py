"""The 6-hour cycle: land → normalize → enrich → aggregate → publish."""
