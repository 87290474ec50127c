// Every module that registers emulator routes (Graph, non-Graph, control). Importing this file wires them all.
import './graph/routes-directory';
import './graph/routes-mail';
import './graph/routes-attachments';
import './graph/routes-calendar';
import './graph/routes-contacts';
import './control/routes-core';
import './control/routes-mail';
import './control/routes-directory';
import './auth/routes';
import './files';
import './sites';
import './site-lists';
import './sites-control';
import './teams';
import './teams-control';
import './webhook-sink';
