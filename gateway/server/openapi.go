package server

import (
	"net/http"
)

// openapiJSON serves the document generated from package rest.
func (s *Server) openapiJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
}

// docsPage is a small human-readable page that renders openapi.json without
// external scripts.
func (s *Server) docsPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(docsHTML))
}

const docsHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>YRD Settlement Gateway API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
.op{margin:.6rem 0;padding:.5rem .8rem;border-left:4px solid #888;background:#f7f7f7}
.m{display:inline-block;width:4.5rem;font-weight:bold}.GET{border-color:#2a7}.POST{border-color:#27a}
code{background:#eee;padding:0 .2rem}small{color:#555}
</style></head><body>
<h1 id="title">YRD Settlement Gateway API</h1>
<p>The machine-readable document is at <a href="/openapi.json"><code>/openapi.json</code></a>.
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> or an mTLS client certificate.
Amounts are decimal strings (<code>"1234.56"</code>). Errors are JSON <code>{code, message, details}</code>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('title').textContent=doc.info.title+' '+doc.info.version;
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths)){
    for(const [m,op] of Object.entries(item)){
      const t=path.split('/')[2]||'service';(byTag[t]=byTag[t]||[]).push([m.toUpperCase(),path,op]);
    }
  }
  const root=document.getElementById('ops');root.textContent='';
  for(const [tag,ops] of Object.entries(byTag)){
    const h=document.createElement('h2');h.textContent=tag;root.appendChild(h);
    for(const [m,path,op] of ops){
      const d=document.createElement('div');d.className='op '+m;
      const codes=Object.keys(op.responses||{}).join(' ');
      d.innerHTML='<span class="m"></span><code></code><div></div><small></small>';
      d.children[0].textContent=m;d.children[1].textContent=path;
      d.children[2].textContent=op.summary||'';d.children[3].textContent='responses: '+codes;
      root.appendChild(d);
    }
  }
});
</script></body></html>
`
