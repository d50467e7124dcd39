export { consoleRoutes, defaultConsoleDir, loadConsoleFiles } from './static-route.js';
