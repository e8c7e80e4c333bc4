#pragma once
// Include <qcustomplot.h> only through this header, and only from .cpp files of widgets/.
// qcustomplot.h spells the Qt keywords `signals` and `foreach`, which QT_NO_KEYWORDS (project-wide) disables;
// they are defined just around the include so no other header sees them.
#if defined(QT_NO_KEYWORDS) && !defined(signals)
#define signals Q_SIGNALS
#define DIFFLENS_DEFINED_SIGNALS
#endif
#if defined(QT_NO_KEYWORDS) && !defined(foreach)
#define foreach Q_FOREACH
#define DIFFLENS_DEFINED_FOREACH
#endif

#include <qcustomplot.h>

#ifdef DIFFLENS_DEFINED_SIGNALS
#undef signals
#undef DIFFLENS_DEFINED_SIGNALS
#endif
#ifdef DIFFLENS_DEFINED_FOREACH
#undef foreach
#undef DIFFLENS_DEFINED_FOREACH
#endif
