/*
 * pt_vocab.h - Portrait's vocabulary IRIs.
 *
 * The full vocabulary, with its mappings from schema.org, GoodRelations and SKOS, is
 * ontology/portrait.ttl; these macros are the IRIs code needs by name.
 */
#ifndef PT_VOCAB_H
#define PT_VOCAB_H

#define PT_NS "https://w3id.org/portrait/ns#"
#define PT_RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define PT_RDFS_NS "http://www.w3.org/2000/01/rdf-schema#"
#define PT_XSD_NS "http://www.w3.org/2001/XMLSchema#"
#define PT_SKOS_NS "http://www.w3.org/2004/02/skos/core#"
#define PT_OWL_NS "http://www.w3.org/2002/07/owl#"
#define PT_SCHEMA_NS "https://schema.org/"
#define PT_GR_NS "http://purl.org/goodrelations/v1#"

#define PT_RDF_TYPE PT_RDF_NS "type"
#define PT_RDFS_LABEL PT_RDFS_NS "label"
#define PT_RDFS_SUBCLASSOF PT_RDFS_NS "subClassOf"
#define PT_RDFS_SUBPROPERTYOF PT_RDFS_NS "subPropertyOf"
#define PT_OWL_EQUIVALENTCLASS PT_OWL_NS "equivalentClass"
#define PT_OWL_EQUIVALENTPROPERTY PT_OWL_NS "equivalentProperty"
#define PT_SKOS_BROADER PT_SKOS_NS "broader"
#define PT_XSD_DATETIME PT_XSD_NS "dateTime"
#define PT_XSD_INTEGER PT_XSD_NS "integer"
#define PT_XSD_DECIMAL PT_XSD_NS "decimal"
#define PT_XSD_DOUBLE PT_XSD_NS "double"

#define PT_USER PT_NS "User"
#define PT_ITEM PT_NS "Item"
#define PT_TAG PT_NS "Tag"
#define PT_CATEGORY PT_NS "Category"
#define PT_BRAND PT_NS "Brand"
#define PT_EVENT PT_NS "Event"

#define PT_VIEWED PT_NS "viewed"
#define PT_CLICKED PT_NS "clicked"
#define PT_CARTED PT_NS "carted"
#define PT_PURCHASED PT_NS "purchased"
#define PT_RATED PT_NS "rated"
#define PT_REVIEWED PT_NS "reviewed"
#define PT_HAS_TAG PT_NS "hasTag"
#define PT_IN_CATEGORY PT_NS "inCategory"
#define PT_BRAND_P PT_NS "brand"
#define PT_BROADER PT_NS "broader"

#define PT_EV_USER PT_NS "user"
#define PT_EV_ITEM PT_NS "item"
#define PT_EV_ACTION PT_NS "action"
#define PT_EV_TIME PT_NS "time"
#define PT_EV_RATING PT_NS "rating"
#define PT_EV_VALUE PT_NS "value"
#define PT_EV_TEXT PT_NS "text"

#define PT_TITLE PT_NS "title"
#define PT_DESCRIPTION PT_NS "description"
#define PT_PRICE PT_NS "price"

#endif /* PT_VOCAB_H */
