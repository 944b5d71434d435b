-- pandoc filter for edstats papers (markdown from nbconvert -> typst).
-- 1. pandas/edstats HTML tables (kept as raw HTML blocks) become real pandoc tables.
-- 2. A ::: {#tbl-x tbl-cap="..."} div gives its table a caption and an id.
-- 3. Images without a caption are not wrapped as "Figure n:" figures.
function RawBlock(el)
  if el.format:match("html") and el.text:match("<table") then
    return pandoc.read(el.text, "html").blocks
  end
  if el.format:match("html") then
    return {}
  end
end

function Div(div)
  local cap = div.attributes["tbl-cap"]
  if not cap then return nil end
  local done = false
  div = div:walk({ Table = function(t)
    if done then return nil end
    done = true
    if cap ~= "" then
      t.caption = { long = { pandoc.Plain(pandoc.read(cap, "markdown").blocks[1].content) } }
    end
    t.identifier = div.identifier
    return t
  end })
  return div.content
end

function Figure(fig)
  if #fig.caption.long == 0 or pandoc.utils.stringify(fig.caption.long) == "" then
    return fig.content
  end
end
