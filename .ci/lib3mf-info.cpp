// lib3mf-info reads a 3MF file with lib3mf (Debian's lib3mf-dev, the 3MF Consortium's reference
// implementation) and prints what it found as one JSON object: the unit, the number of mesh
// objects and build items, vertices and triangles, the bounding box in the file's units, whether
// every mesh is manifold and oriented, how many triangles carry a colour, and the reader's
// warnings. The Go tests (internal/checktools.Read3MF) hold orfeas's 3MF output to it.
// Build: g++ -O1 -I/usr/include/lib3mf -o .tools/lib3mf-info .ci/lib3mf-info.cpp -l3MF
#include <cstdio>
#include <cfloat>
#include "Model/COM/NMR_DLLInterfaces.h"

using namespace NMR;

static int fail(const char *what, LIB3MFRESULT r) {
	printf("{\"error\":\"%s\",\"code\":%d}\n", what, (int)r);
	return 1;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: lib3mf-info file.3mf\n");
		return 2;
	}
	PLib3MFModel *model = nullptr;
	LIB3MFRESULT r = lib3mf_createmodel(&model);
	if (r != LIB3MF_OK) return fail("createmodel", r);
	PLib3MFModelReader *reader = nullptr;
	if ((r = lib3mf_model_queryreader(model, "3mf", &reader)) != LIB3MF_OK) return fail("queryreader", r);
	if ((r = lib3mf_reader_readfromfileutf8(reader, argv[1])) != LIB3MF_OK) return fail("read", r);
	DWORD warnings = 0;
	lib3mf_reader_getwarningcount(reader, &warnings);
	DWORD unit = 0;
	lib3mf_model_getunit(model, &unit);

	PLib3MFModelResourceIterator *it = nullptr;
	if ((r = lib3mf_model_getmeshobjects(model, &it)) != LIB3MF_OK) return fail("getmeshobjects", r);
	int objects = 0, manifold = 1;
	unsigned long vertices = 0, triangles = 0, coloured = 0;
	float lo[3] = {FLT_MAX, FLT_MAX, FLT_MAX}, hi[3] = {-FLT_MAX, -FLT_MAX, -FLT_MAX};
	BOOL more = false;
	while (lib3mf_resourceiterator_movenext(it, &more) == LIB3MF_OK && more) {
		PLib3MFModelResource *res = nullptr;
		if ((r = lib3mf_resourceiterator_getcurrent(it, &res)) != LIB3MF_OK) return fail("getcurrent", r);
		objects++;
		DWORD nv = 0, nt = 0;
		lib3mf_meshobject_getvertexcount(res, &nv);
		lib3mf_meshobject_gettrianglecount(res, &nt);
		vertices += nv;
		triangles += nt;
		for (DWORD i = 0; i < nv; i++) {
			MODELMESHVERTEX v;
			if ((r = lib3mf_meshobject_getvertex(res, i, &v)) != LIB3MF_OK) return fail("getvertex", r);
			for (int k = 0; k < 3; k++) {
				if (v.m_fPosition[k] < lo[k]) lo[k] = v.m_fPosition[k];
				if (v.m_fPosition[k] > hi[k]) hi[k] = v.m_fPosition[k];
			}
		}
		BOOL ok = false;
		if ((r = lib3mf_meshobject_ismanifoldandoriented(res, &ok)) != LIB3MF_OK) return fail("ismanifoldandoriented", r);
		if (!ok) manifold = 0;
		PLib3MFPropertyHandler *ph = nullptr;
		if (lib3mf_meshobject_createpropertyhandler(res, &ph) == LIB3MF_OK) {
			for (DWORD i = 0; i < nt; i++) {
				eModelPropertyType t;
				if (lib3mf_propertyhandler_getpropertytype(ph, i, &t) == LIB3MF_OK && t == MODELPROPERTYTYPE_COLOR) coloured++;
			}
			lib3mf_release(ph);
		}
		lib3mf_release(res);
	}
	lib3mf_release(it);
	int items = 0;
	PLib3MFModelBuildItemIterator *bi = nullptr;
	if (lib3mf_model_getbuilditems(model, &bi) == LIB3MF_OK) {
		while (lib3mf_builditemiterator_movenext(bi, &more) == LIB3MF_OK && more) items++;
		lib3mf_release(bi);
	}
	printf("{\"unit\":%u,\"objects\":%d,\"buildItems\":%d,\"vertices\":%lu,\"triangles\":%lu,"
	       "\"min\":[%g,%g,%g],\"max\":[%g,%g,%g],\"manifoldAndOriented\":%s,\"colouredTriangles\":%lu,\"warnings\":%u}\n",
	       (unsigned)unit, objects, items, vertices, triangles, lo[0], lo[1], lo[2], hi[0], hi[1], hi[2],
	       manifold ? "true" : "false", coloured, (unsigned)warnings);
	lib3mf_release(reader);
	lib3mf_release(model);
	return 0;
}
