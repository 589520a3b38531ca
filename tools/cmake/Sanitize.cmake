# Sanitize.cmake: -DPORTRAIT_SANITIZE="address;undefined" builds everything with those
# sanitizers, frame pointers kept, and no recovery (a report fails the test).
if(PORTRAIT_SANITIZE)
  string(REPLACE ";" "," _pt_san "${PORTRAIT_SANITIZE}")
  add_compile_options(-fsanitize=${_pt_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_pt_san})
endif()
if(PORTRAIT_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
