// Each test class starts its own server process and Chromium. On a shared 2-core machine two of them starting
// at once can miss the server's 60 s start deadline, and a storm measured while the other class loads ckt24
// measures the other class. One class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
