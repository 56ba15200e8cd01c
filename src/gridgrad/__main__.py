from gridgrad.cli import console

console()
