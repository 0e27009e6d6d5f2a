// Serve the example app: `npm start` (PORT, default 3000).
import { createApp } from './app.mjs';

const port = Number(process.env.PORT ?? 3000);
createApp().listen(port, '127.0.0.1', () => console.log(`mgx runs on http://127.0.0.1:${port}`));
