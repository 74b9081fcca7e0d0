"""Development tools: the embedded Tansu broker, synthetic traffic, the demo."""
