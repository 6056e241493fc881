import { StrictMode } from 'react';
import { createRoot, type Root as ReactRoot } from 'react-dom/client';
import { unstableSetRender } from 'antd';
import { Root } from './app/Root';
import './styles.css';

// antd 5 renders some pieces (button wave, static holders) outside the tree with the React 18
// API; React 19 removed it, so hand antd a createRoot-based renderer.
unstableSetRender((node, container) => {
  const host = container as Element & { _zaRoot?: ReactRoot };
  host._zaRoot ??= createRoot(host);
  const root = host._zaRoot;
  root.render(node);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    root.unmount();
  };
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
