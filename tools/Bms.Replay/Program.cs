// Placeholder until the replay harness lands (issue 6).
return 0;
