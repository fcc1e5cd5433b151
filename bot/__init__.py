"""mvbot: a ChatOps bot for Cisco Meraki MV cameras."""
