// The Pare pipeline language. Syntax only: whether a name is a pass or a pipeline, option types,
// ranges and includes are checked afterwards by PipelineCompiler, which reports every problem
// with a code (see PipelineErrorCode).
grammar Pipeline;

// A file: includes and named pipelines, then optionally the steps the file itself stands for
// (that is what `--pipeline @FILE` runs, and what the canonical printer writes).
pipelineFile
    : (includeDecl | pipelineDecl)* (stepList ';'?)? EOF
    ;

// One statement of a file that is not an include or a definition (files are parsed statement by
// statement, split at `;` outside brackets, so an error stays inside its statement).
topLevelSteps
    : stepList ';'? EOF
    ;

// `--pipeline 'TEXT'`: just steps.
inlinePipeline
    : stepList? EOF
    ;

includeDecl
    : 'include' STRING ';'
    ;

pipelineDecl
    : 'pipeline' IDENT '=' stepList? ';'
    ;

stepList
    : step (',' step)* ','?
    ;

step
    : 'fixpoint' optionBlock? '{' stepList? '}'                # fixpointStep
    | qualifiedName optionBlock? scopeClause* whereClause?     # namedStep
    ;

// Case decides the kind: lower_snake (optionally ns::name) is a pass, UPPER_SNAKE a pipeline.
qualifiedName
    : IDENT ('::' IDENT)?
    ;

optionBlock
    : '{' (option (',' option)* ','?)? '}'
    ;

option
    : word '=' value
    ;

value
    : scalar                                   # scalarValue
    | '[' (scalar (',' scalar)* ','?)? ']'     # listValue
    ;

scalar
    : '-'? (INT | FLOAT | IDENT)
    | STRING
    ;

scopeClause
    : (ON | EXCEPT) selector ('|' selector)*
    ;

selector
    : (OP_TYPE | OP_NAME) '(' pattern (',' pattern)* ')'
    ;

pattern
    : IDENT
    | STRING
    ;

whereClause
    : 'where' '{' (override (';' override)* ';'?)? '}'
    ;

override
    : selector '->' (optionBlock | SKIP_)
    ;

// Option keys may be spelled like keywords (e.g. an option called `on`).
word
    : IDENT | ON | EXCEPT | OP_TYPE | OP_NAME | SKIP_ | 'where' | 'fixpoint' | 'include' | 'pipeline'
    ;

ON      : 'on' ;
EXCEPT  : 'except' ;
OP_TYPE : 'op_type' ;
OP_NAME : 'op_name' ;
SKIP_   : 'skip' ;

IDENT   : [a-zA-Z_] [a-zA-Z0-9_]* ;
FLOAT   : [0-9]+ '.' [0-9]* EXPONENT? | '.' [0-9]+ EXPONENT? | [0-9]+ EXPONENT ;
INT     : [0-9]+ ;
STRING  : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
// A string without its closing quote: a token of its own so the error says so.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* ;

fragment EXPONENT : [eE] [+-]? [0-9]+ ;

LINE_COMMENT : ('//' | '#') ~[\r\n]* -> skip ;
WS           : [ \t\r\n\f]+ -> skip ;
